# Segment files: immutable (series, field) blocks with statistics (segment.h).
add_library(st_segment STATIC
  ${CMAKE_CURRENT_SOURCE_DIR}/segment_write.c
  ${CMAKE_CURRENT_SOURCE_DIR}/segment_read.c
  ${CMAKE_CURRENT_SOURCE_DIR}/segment_fd.c
  ${CMAKE_CURRENT_SOURCE_DIR}/segment_entry.c)
target_include_directories(st_segment PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})
target_link_libraries(st_segment PUBLIC st_common PkgConfig::URING Threads::Threads)
