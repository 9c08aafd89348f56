# The shard's write-ahead log: pure framing (wal_format.c), io_uring group commit
# (wal.c), recovery (wal_replay.c).
add_library(st_wal STATIC
  ${CMAKE_CURRENT_SOURCE_DIR}/wal_format.c
  ${CMAKE_CURRENT_SOURCE_DIR}/wal.c
  ${CMAKE_CURRENT_SOURCE_DIR}/wal_replay.c
)
target_include_directories(st_wal PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})
target_link_libraries(st_wal PUBLIC st_common PkgConfig::URING Threads::Threads)
