if(TARGET st_node)
  st_add_test(test_shard SOURCES test_shard.c LIBS st_node)
endif()
