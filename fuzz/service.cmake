# The data node's RPC handler over a real store (needs the node library).
if(TARGET st_node)
  st_add_fuzzer(fuzz_data_service SOURCES fuzz_data_service.c LIBS st_node)
endif()
