# router/router: the endpoints (st_router) and the strata-router binary
# (docs/router-api.md).
add_library(st_router STATIC ${CMAKE_CURRENT_SOURCE_DIR}/router.c
  ${CMAKE_CURRENT_SOURCE_DIR}/qstream.c)
target_include_directories(st_router PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})
target_link_libraries(st_router PUBLIC st_write st_qadmin st_http st_mcli st_common)

add_executable(strata-router ${CMAKE_CURRENT_SOURCE_DIR}/main.c)
target_link_libraries(strata-router PRIVATE st_router)
