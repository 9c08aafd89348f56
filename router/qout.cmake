# router/qout: the /query answer writer, InfluxDB 1.x's JSON, CSV and chunked
# bodies (st_qout, docs/query-output.md).
add_library(st_qout STATIC
  ${CMAKE_CURRENT_SOURCE_DIR}/qout.c
  ${CMAKE_CURRENT_SOURCE_DIR}/qout_fmt.c
)
target_include_directories(st_qout PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})
target_link_libraries(st_qout PUBLIC st_qjson st_influxql st_common m)
