# SPDX-License-Identifier: MIT
"""amber - the helper library of the Python integration tests."""
