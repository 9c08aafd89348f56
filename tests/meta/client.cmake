# tests/meta/client: st_mcli against real strata-meta clusters started on
# loopback (the binary is meta/server.cmake's strata-meta).
st_add_test(test_meta_client SOURCES test_meta_client.c fake_meta.c LIBS st_mcli)
if(TARGET strata-meta)
  add_dependencies(test_meta_client strata-meta)
endif()
