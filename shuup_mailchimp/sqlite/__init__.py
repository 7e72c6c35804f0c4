"""Django's SQLite backend, its transactions begun IMMEDIATE: ``ENGINE = "shuup_mailchimp.sqlite"``.

See :mod:`shuup_mailchimp.sqlite.base`.
"""
