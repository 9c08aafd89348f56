# Shard snapshots and the ShardCopy RPC (data/shard_snap.c, data/copy.c).
if(TARGET st_node)
  st_add_test(test_copy SOURCES test_copy.c LIBS st_node)
endif()
