# meta/server: the meta node (st_msrv: raft FSM glue, RPC handler, forwarding,
# leader loop) and the strata-meta binary (docs/meta-server.md).
add_library(st_msrv STATIC
  ${CMAKE_CURRENT_SOURCE_DIR}/server.c
  ${CMAKE_CURRENT_SOURCE_DIR}/server_fsm.c
  ${CMAKE_CURRENT_SOURCE_DIR}/server_fwd.c
  ${CMAKE_CURRENT_SOURCE_DIR}/server_leader.c
  ${CMAKE_CURRENT_SOURCE_DIR}/server_read.c
  ${CMAKE_CURRENT_SOURCE_DIR}/server_rpc.c
)
target_include_directories(st_msrv PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})
target_link_libraries(st_msrv PUBLIC st_cat st_mraft st_mreq st_common Threads::Threads)

add_executable(strata-meta ${CMAKE_CURRENT_SOURCE_DIR}/main.c)
target_link_libraries(strata-meta PRIVATE st_msrv)
