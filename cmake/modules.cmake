# capf_module(NAME SOURCES ... DEPS ...): one static library per source folder. Its link line is the
# list of modules it may use (docs/architecture.md §2), so a forbidden include fails to link or to
# find headers.
function(capf_module name)
  cmake_parse_arguments(M "" "" "SOURCES;DEPS" ${ARGN})
  add_library(${name} STATIC ${M_SOURCES})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(${name} PUBLIC ${M_DEPS})
endfunction()
