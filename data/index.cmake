# data/index: the per-shard series and schema index (docs/storage-index.md).
add_library(st_index STATIC
  ${CMAKE_CURRENT_SOURCE_DIR}/index.c
  ${CMAKE_CURRENT_SOURCE_DIR}/index_log.c
  ${CMAKE_CURRENT_SOURCE_DIR}/index_query.c)
target_include_directories(st_index PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})
target_link_libraries(st_index PUBLIC st_common Threads::Threads)
