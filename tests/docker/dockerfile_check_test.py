#!/usr/bin/env python3
"""The repo's Dockerfile passes dockerfile_check; a broken one is caught.

usage: dockerfile_check_test.py REPO BINARY BUILD_DIR
"""
import argparse
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dockerfile_check  # noqa: E402

REPO, BINARY, BUILD_DIR = sys.argv[1:4]


def problems(dockerfile):
    return dockerfile_check.check(argparse.Namespace(
        repo=REPO, binary=BINARY, build_dir=BUILD_DIR, dockerfile=dockerfile))


class DockerfileCheckTest(unittest.TestCase):
    def test_repo_dockerfile_passes(self):
        self.assertEqual(problems(os.path.join(REPO, "Dockerfile")), [])

    def test_broken_dockerfile_is_caught(self):
        found = "\n".join(problems(os.path.join(
            os.path.dirname(os.path.abspath(__file__)), "bad.Dockerfile")))
        for want in [
            "the build stage must run scripts/install-deps.sh",
            "COPY --from=build /build/server/mediagw-nope: the build does not produce it",
            "COPY config/no-such-file.json: not in the repo",
            "COPY config/workflows /opt/workflows: must be /usr/share/mediagw/workflows",
            "COPY build/server/mediagw: excluded by .dockerignore",
            "USER mediagw: the runtime must run as a numeric non-root uid",
            "runtime packages: ca-certificates is missing",
            "runtime packages: libsqlite3-0 is missing (the binary links libsqlite3.so.0)",
        ]:
            self.assertIn(want, found)


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1], verbosity=2)
