"""Which browser is this? A random owner id, kept in a cookie, so each person sees only their own work.

Streamlit reads cookies (`st.context.cookies`, as sent when the page opened) but cannot set them,
so a one-line script on the page writes the cookie. Until a reload sends it back, the id lives in
this session's state. A browser that refuses cookies still gets privacy, only not memory: each
visit starts a new owner, and earlier conversations are not listed.
"""

from __future__ import annotations

import streamlit as st

from assistant.workspace.conversations import new_owner_id, valid_owner_id

COOKIE = "council_guide_owner"
OWNER = "owner_id"  # session-state key
_KEEP_SECONDS = 400 * 24 * 3600  # the longest lifetime browsers allow a cookie

# SameSite=Strict: never sent with a request another site starts. Secure when served over HTTPS.
_WRITE_COOKIE = (
    "<script>document.cookie = '{name}={value}; Path=/; Max-Age={age}; SameSite=Strict'"
    " + (location.protocol === 'https:' ? '; Secure' : '');</script>"
)


def browser_owner() -> str:
    """This browser's owner id: from the session, else its cookie, else a new one (then remembered)."""
    if not valid_owner_id(st.session_state.get(OWNER)):
        sent = st.context.cookies.get(COOKIE)
        st.session_state[OWNER] = sent if valid_owner_id(sent) else new_owner_id()
    owner = st.session_state[OWNER]
    if st.context.cookies.get(COOKIE) != owner:
        # The id is 32 hex digits (checked above), so it is safe inside the script.
        st.html(_WRITE_COOKIE.format(name=COOKIE, value=owner, age=_KEEP_SECONDS),
                unsafe_allow_javascript=True, width="content")
    return owner
