# router/influxql: the InfluxQL lexer, statement parser and printer (st_influxql,
# docs/influxql.md).
add_library(st_influxql STATIC
  ${CMAKE_CURRENT_SOURCE_DIR}/influxql_admin.c
  ${CMAKE_CURRENT_SOURCE_DIR}/influxql_arena.c
  ${CMAKE_CURRENT_SOURCE_DIR}/influxql_expr.c
  ${CMAKE_CURRENT_SOURCE_DIR}/influxql_expr_fmt.c
  ${CMAKE_CURRENT_SOURCE_DIR}/influxql_fmt.c
  ${CMAKE_CURRENT_SOURCE_DIR}/influxql_lex.c
  ${CMAKE_CURRENT_SOURCE_DIR}/influxql_other.c
  ${CMAKE_CURRENT_SOURCE_DIR}/influxql_parse.c
  ${CMAKE_CURRENT_SOURCE_DIR}/influxql_regex.c
  ${CMAKE_CURRENT_SOURCE_DIR}/influxql_select.c
  ${CMAKE_CURRENT_SOURCE_DIR}/influxql_show.c
)
target_include_directories(st_influxql PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})
target_link_libraries(st_influxql PUBLIC st_common)
