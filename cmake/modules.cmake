# capf_module(NAME SOURCES ... DEPS ...): one static library per source folder. Its link line is the
# list of modules it may use (docs/architecture.md §2).
#
# A module sees only its own headers and those of the modules it links: instead of all of src/,
# its include directory is build/module-include/NAME, which holds a link to each of the module's
# own headers under its usual name (capf/<folder>/x.h). Include directories travel along the
# link line, so `#include "capf/store/sqlite/..."` from a module that does not link the SQLite
# store fails to compile. tests/layering/ checks the rest (third-party headers, wire reasons).
function(capf_module name)
  cmake_parse_arguments(M "" "" "SOURCES;DEPS" ${ARGN})
  add_library(${name} STATIC ${M_SOURCES})
  set(root ${CMAKE_BINARY_DIR}/module-include/${name})
  file(REMOVE_RECURSE ${root})  # a removed header leaves no stale link
  set(folders ${CMAKE_CURRENT_SOURCE_DIR})
  foreach(source ${M_SOURCES})
    if(NOT IS_ABSOLUTE ${source})  # generated sources live in the build tree and have no headers
      get_filename_component(folder ${CMAKE_CURRENT_SOURCE_DIR}/${source} DIRECTORY)
      list(APPEND folders ${folder})
    endif()
  endforeach()
  list(REMOVE_DUPLICATES folders)
  foreach(folder ${folders})
    file(GLOB headers CONFIGURE_DEPENDS ${folder}/*.h)
    foreach(header ${headers})
      file(RELATIVE_PATH relative ${PROJECT_SOURCE_DIR}/src ${header})
      get_filename_component(parent ${root}/${relative} DIRECTORY)
      file(MAKE_DIRECTORY ${parent})
      file(CREATE_LINK ${header} ${root}/${relative} SYMBOLIC)
    endforeach()
  endforeach()
  target_include_directories(${name} PUBLIC ${root})
  target_link_libraries(${name} PUBLIC ${M_DEPS})
endfunction()
