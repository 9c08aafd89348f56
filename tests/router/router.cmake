# tests/router/router: strata-router end to end with real meta and data
# processes on loopback (HTTP in, replicas read back from the data nodes).
st_add_test(test_router_e2e SOURCES test_router_e2e.c LIBS st_mcli st_proto PkgConfig::ZLIB)
foreach(bin strata-meta strata-data strata-router)
  if(TARGET ${bin})
    add_dependencies(test_router_e2e ${bin})
  endif()
endforeach()
