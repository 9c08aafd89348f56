st_add_fuzzer(fuzz_wal_decode SOURCES fuzz_wal_decode.c LIBS st_wal)
