# router/influxql: the InfluxQL lexer and statement parser (st_influxql,
# docs/influxql.md).
add_library(st_influxql STATIC
  ${CMAKE_CURRENT_SOURCE_DIR}/influxql_admin.c
  ${CMAKE_CURRENT_SOURCE_DIR}/influxql_arena.c
  ${CMAKE_CURRENT_SOURCE_DIR}/influxql_fmt.c
  ${CMAKE_CURRENT_SOURCE_DIR}/influxql_lex.c
  ${CMAKE_CURRENT_SOURCE_DIR}/influxql_other.c
  ${CMAKE_CURRENT_SOURCE_DIR}/influxql_parse.c
)
target_include_directories(st_influxql PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})
target_link_libraries(st_influxql PUBLIC st_common)
