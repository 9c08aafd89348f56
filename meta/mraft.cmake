# st_mraft: the replicated state machine on canonical raft 0.15 (libraft,
# raft_uv on libuv). raft.pc lists only -lraft: libuv and lz4 are linked here.
add_library(st_mraft STATIC
  ${CMAKE_CURRENT_SOURCE_DIR}/mraft.c
  ${CMAKE_CURRENT_SOURCE_DIR}/mraft_op.c
)
target_include_directories(st_mraft PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})
target_link_libraries(st_mraft PUBLIC st_common PkgConfig::RAFT PkgConfig::LIBUV PkgConfig::LZ4 Threads::Threads)
