"""Packaging for shuup-mailchimp.

Install for development with the pinned lock (see README.rst): Shuup 3.1.0's metadata
is malformed, so the lock is installed with ``--no-deps`` by a pip below 24.1.
"""
from setuptools import find_packages, setup

setup(
    name="shuup-mailchimp",
    version="0.1.0",
    description="Keeps Shuup shops in step with Mailchimp: customers, groups, orders, carts and unsubscribes.",
    long_description=open("README.rst").read(),
    long_description_content_type="text/x-rst",
    license="OSL-3.0",
    packages=find_packages(exclude=["tests", "tests.*", "bench", "bench.*"]),
    include_package_data=True,
    package_data={"shuup_mailchimp": ["templates/**/*", "locale/**/*"]},
    python_requires=">=3.8,<3.10",
    install_requires=[
        "shuup>=3.1,<3.2",
        "mailchimp3==3.0.21",
        "celery[redis]>=5.5,<6",
        "jsonfield>=2.1",
        "shuup-mirage-field>=2.2",
        "requests>=2.25",
        "tqdm>=4",
    ],
    extras_require={
        "postgres": ["psycopg2-binary==2.8.6"],
        "test": ["pytest", "pytest-django==4.5.2", "pytest-cov", "responses"],
    },
    classifiers=[
        "Framework :: Django :: 2.2",
        "Programming Language :: Python :: 3.8",
        "Programming Language :: Python :: 3.9",
    ],
    zip_safe=False,
)
