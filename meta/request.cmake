# meta/request: decoding and validation of meta RPC requests (st_mreq),
# shared by the meta server and its fuzz target.
add_library(st_mreq STATIC ${CMAKE_CURRENT_SOURCE_DIR}/request.c)
target_include_directories(st_mreq PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})
target_link_libraries(st_mreq PUBLIC st_proto st_common)
