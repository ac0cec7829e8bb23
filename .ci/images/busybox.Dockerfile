# workbench-test/busybox: a tiny image for the sandbox tests (no registry needed).
# Build context prepared by .ci/docker-setup.sh: rootfs/ holds Debian's static /bin/busybox,
# one symlink per applet, /tmp (1777), /workspace and a minimal /etc/passwd.
FROM scratch
COPY rootfs/ /
ENV PATH=/bin
CMD ["/bin/sh"]
