# meta/catalogue: commands and snapshots from arbitrary bytes.
if(TARGET st_cat)
  st_add_fuzzer(fuzz_meta_apply SOURCES fuzz_meta_apply.c LIBS st_cat)
endif()
