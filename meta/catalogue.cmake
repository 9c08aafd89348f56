# meta/catalogue: the deterministic catalogue state machine of strata-meta
# and its read helpers (docs/meta-catalogue.md).
add_library(st_cat STATIC
  ${CMAKE_CURRENT_SOURCE_DIR}/catalogue.c
  ${CMAKE_CURRENT_SOURCE_DIR}/catalogue_apply.c
  ${CMAKE_CURRENT_SOURCE_DIR}/catalogue_read.c
  ${CMAKE_CURRENT_SOURCE_DIR}/catalogue_shard.c
  ${CMAKE_CURRENT_SOURCE_DIR}/placement.c)
target_include_directories(st_cat PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})
target_link_libraries(st_cat PUBLIC st_proto st_common)
