# st_codec: block codecs of segment files (timestamps, floats, integers,
# booleans, strings); pure functions over memory, see data/codec.h.
add_library(st_codec STATIC
  ${CMAKE_CURRENT_SOURCE_DIR}/codec_block.c
  ${CMAKE_CURRENT_SOURCE_DIR}/codec_float.c
  ${CMAKE_CURRENT_SOURCE_DIR}/codec_int.c
  ${CMAKE_CURRENT_SOURCE_DIR}/codec_seq.c
  ${CMAKE_CURRENT_SOURCE_DIR}/codec_seq_read.c
  ${CMAKE_CURRENT_SOURCE_DIR}/codec_str.c
  ${CMAKE_CURRENT_SOURCE_DIR}/codec_ts.c
)
target_include_directories(st_codec PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})
target_link_libraries(st_codec PUBLIC st_common PRIVATE PkgConfig::ZSTD)
