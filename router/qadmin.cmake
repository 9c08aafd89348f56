add_library(st_qadmin STATIC ${CMAKE_CURRENT_SOURCE_DIR}/stub.c)
target_include_directories(st_qadmin PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})
target_link_libraries(st_qadmin PUBLIC st_mcli st_common)
