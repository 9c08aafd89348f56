# data/pred: tag predicates of InfluxQL WHERE clauses (TagExpr) compiled with
# their regexes and evaluated over the series index (docs/tag-predicates.md).
add_library(st_pred STATIC ${CMAKE_CURRENT_SOURCE_DIR}/pred.c)
target_include_directories(st_pred PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})
target_link_libraries(st_pred PUBLIC st_index st_proto st_common)
