# router/query: the query engine, SELECT across shards merged on the router
# (st_query, docs/query-engine.md).
add_library(st_query STATIC
  ${CMAKE_CURRENT_SOURCE_DIR}/query.c
  ${CMAKE_CURRENT_SOURCE_DIR}/query_agg.c
  ${CMAKE_CURRENT_SOURCE_DIR}/query_cond.c
  ${CMAKE_CURRENT_SOURCE_DIR}/query_delete.c
  ${CMAKE_CURRENT_SOURCE_DIR}/query_eval.c
  ${CMAKE_CURRENT_SOURCE_DIR}/query_fetch.c
  ${CMAKE_CURRENT_SOURCE_DIR}/query_group.c
  ${CMAKE_CURRENT_SOURCE_DIR}/query_hw.c
  ${CMAKE_CURRENT_SOURCE_DIR}/query_raw.c
  ${CMAKE_CURRENT_SOURCE_DIR}/query_pts.c
  ${CMAKE_CURRENT_SOURCE_DIR}/query_expr.c
  ${CMAKE_CURRENT_SOURCE_DIR}/query_plan_pts.c
  ${CMAKE_CURRENT_SOURCE_DIR}/query_push.c
  ${CMAKE_CURRENT_SOURCE_DIR}/query_res.c
  ${CMAKE_CURRENT_SOURCE_DIR}/query_sub.c
  ${CMAKE_CURRENT_SOURCE_DIR}/query_ta.c
  ${CMAKE_CURRENT_SOURCE_DIR}/query_show.c
  ${CMAKE_CURRENT_SOURCE_DIR}/query_time.c
)
target_include_directories(st_query PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})
target_link_libraries(st_query PUBLIC st_write st_influxql st_mcli st_agg_wire st_proto st_common)
