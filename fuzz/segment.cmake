st_add_fuzzer(fuzz_segment_open SOURCES fuzz_segment_open.c LIBS st_segment)
