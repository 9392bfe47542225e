# The Debian package (scripts/package.sh; docs/packaging.md). CPack's DEB generator packs what
# `install()` puts under /usr, /etc and /lib, straight from this build tree: no second build from
# source as dpkg-buildpackage would need.
#
# Contents: /usr/bin/opencapf (apps/opencapf), man pages made by help2man from the CLI's own
# --help, bash completion, the default configuration (the text `opencapf init` writes) as the
# conffile /etc/opencapf/opencapf.toml, the systemd unit, and the maintainer scripts that create
# the opencapf user and /var/lib/opencapf (packaging/).
set(OPENCAPF_PACKAGING_DIR ${PROJECT_SOURCE_DIR}/packaging)
set(OPENCAPF_PACKAGE_FILES ${CMAKE_BINARY_DIR}/packaging)

add_custom_command(
  OUTPUT ${OPENCAPF_PACKAGE_FILES}/man/opencapf.1.gz ${OPENCAPF_PACKAGE_FILES}/opencapf.toml
         ${OPENCAPF_PACKAGE_FILES}/changelog.gz
  COMMAND ${OPENCAPF_PACKAGING_DIR}/generate_files.sh $<TARGET_FILE:opencapf>
          ${OPENCAPF_PACKAGING_DIR} ${OPENCAPF_PACKAGE_FILES}
  DEPENDS opencapf ${OPENCAPF_PACKAGING_DIR}/generate_files.sh ${OPENCAPF_PACKAGING_DIR}/changelog
  COMMENT "Generating the Debian package's man pages, configuration and changelog")
add_custom_target(opencapf_package_files
  DEPENDS ${OPENCAPF_PACKAGE_FILES}/man/opencapf.1.gz ${OPENCAPF_PACKAGE_FILES}/opencapf.toml
          ${OPENCAPF_PACKAGE_FILES}/changelog.gz)

# `cpack` installs only what scripts/package.sh built (opencapf and the files above), not every
# test binary.
set(CMAKE_SKIP_INSTALL_ALL_DEPENDENCY ON)
set(CMAKE_INSTALL_DEFAULT_DIRECTORY_PERMISSIONS
    OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)
install(DIRECTORY ${OPENCAPF_PACKAGE_FILES}/man/ DESTINATION share/man/man1
        FILE_PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
install(FILES ${OPENCAPF_PACKAGING_DIR}/copyright ${OPENCAPF_PACKAGE_FILES}/changelog.gz
        DESTINATION share/doc/opencapf)
install(FILES ${OPENCAPF_PACKAGING_DIR}/opencapf.bash-completion
        DESTINATION share/bash-completion/completions RENAME opencapf)
install(FILES ${OPENCAPF_PACKAGE_FILES}/opencapf.toml DESTINATION /etc/opencapf)
install(FILES ${OPENCAPF_PACKAGING_DIR}/opencapf.service DESTINATION /lib/systemd/system)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME opencapf)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_PACKAGE_CONTACT
    "Seed 3610821e maintainers <maintainers@users.noreply.b-seed-3610821e.example>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "CAPF server for Cisco IP phones (LSC enrollment on port 3804)")
# CPack puts the summary first; these are the lines after it.
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
    "opencapf is a Certificate Authority Proxy Function: the TLS service that
Cisco IP phones and Jabber clients reach to get, renew, fetch or delete their
Locally Significant Certificate. It keeps a device registry with CUCM's
operations, authentication modes and statuses, and signs certificates with its
own CA, an online CA or an offline CA. It runs as the opencapf.service unit.")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser, procps")  # procps: /bin/kill for ExecReload
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "libengine-pkcs11-openssl")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${OPENCAPF_PACKAGING_DIR}/conffiles ${OPENCAPF_PACKAGING_DIR}/postinst
    ${OPENCAPF_PACKAGING_DIR}/prerm ${OPENCAPF_PACKAGING_DIR}/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
