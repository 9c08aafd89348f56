add_library(st_cache STATIC ${CMAKE_CURRENT_SOURCE_DIR}/cache.c)
target_include_directories(st_cache PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})
target_link_libraries(st_cache PUBLIC st_common)
