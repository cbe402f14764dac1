"""Build of the one C extension (``nautilus.features._stepcall``); the rest is in pyproject.toml."""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "nautilus.features._stepcall",
            ["src/nautilus/features/_stepcall.c"],
            # no floating-point contraction or fast-math: values pass through unchanged
            extra_compile_args=["-O2", "-ffp-contract=off", "-fno-fast-math"],
        )
    ]
)
