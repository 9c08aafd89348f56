st_add_fuzzer(fuzz_block_decode SOURCES fuzz_block_decode.c LIBS st_codec)
