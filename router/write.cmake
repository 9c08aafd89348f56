# router/write: the replicated write path (st_write): hinted-handoff queues,
# the data nodes as write targets, line protocol to batches per shard
# (docs/router-write.md).
add_library(st_write STATIC
  ${CMAKE_CURRENT_SOURCE_DIR}/hh.c
  ${CMAKE_CURRENT_SOURCE_DIR}/owners.c
  ${CMAKE_CURRENT_SOURCE_DIR}/write.c
)
target_include_directories(st_write PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})
target_link_libraries(st_write PUBLIC st_mcli st_proto st_common Threads::Threads)
