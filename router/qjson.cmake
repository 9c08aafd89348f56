# router/qjson: JSON as InfluxDB's /query writes it, Go's string escaping and
# indentation (st_qjson), shared by router/qadmin and router/qout.
add_library(st_qjson STATIC ${CMAKE_CURRENT_SOURCE_DIR}/qjson.c)
target_include_directories(st_qjson PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})
target_link_libraries(st_qjson PUBLIC st_influxql st_common)
