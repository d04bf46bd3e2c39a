# Writes OUTPUT from SOURCE with KEEL_GIT_REVISION set to the short commit of
# REPO ("unknown" outside git, "+dirty" suffix with local changes). Rewrites
# only on change.
execute_process(COMMAND git -C "${REPO}" rev-parse --short=12 HEAD
  OUTPUT_VARIABLE KEEL_GIT_REVISION OUTPUT_STRIP_TRAILING_WHITESPACE
  RESULT_VARIABLE rc ERROR_QUIET)
if(NOT rc EQUAL 0 OR KEEL_GIT_REVISION STREQUAL "")
  set(KEEL_GIT_REVISION "unknown")
else()
  execute_process(COMMAND git -C "${REPO}" status --porcelain --untracked-files=no
    OUTPUT_VARIABLE dirty OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
  if(NOT dirty STREQUAL "")
    string(APPEND KEEL_GIT_REVISION "+dirty")
  endif()
endif()
configure_file("${SOURCE}" "${OUTPUT}" @ONLY)
