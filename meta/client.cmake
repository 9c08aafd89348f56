# st_mcli: the meta client library used by routers, data nodes and stratactl:
# a local copy of the catalogue kept fresh by a watch thread, and commands
# with failover across the meta nodes (docs/meta-client.md).
add_library(st_mcli STATIC
  ${CMAKE_CURRENT_SOURCE_DIR}/client.c
  ${CMAKE_CURRENT_SOURCE_DIR}/client_call.c
  ${CMAKE_CURRENT_SOURCE_DIR}/client_locate.c
  ${CMAKE_CURRENT_SOURCE_DIR}/client_watch.c
)
target_include_directories(st_mcli PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})
target_link_libraries(st_mcli PUBLIC st_cat st_proto st_common Threads::Threads)
