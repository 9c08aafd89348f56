# router/http: the routers' HTTP/1.1 server on libmicrohttpd (st_http),
# docs/router-http.md.
add_library(st_http STATIC
  ${CMAKE_CURRENT_SOURCE_DIR}/http.c
  ${CMAKE_CURRENT_SOURCE_DIR}/http_body.c
  ${CMAKE_CURRENT_SOURCE_DIR}/http_id.c
)
target_include_directories(st_http PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})
target_link_libraries(st_http PUBLIC st_common PkgConfig::MHD PkgConfig::ZLIB Threads::Threads)
