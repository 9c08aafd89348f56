# meta/catalogue: commands and snapshots from arbitrary bytes.
if(TARGET st_cat)
  st_add_fuzzer(fuzz_meta_apply SOURCES fuzz_meta_apply.c LIBS st_cat)
endif()
# meta/request + meta/server's read path: MetaRequest bytes off the wire.
if(TARGET st_msrv)
  st_add_fuzzer(fuzz_meta_rpc SOURCES fuzz_meta_rpc.c LIBS st_msrv)
endif()
