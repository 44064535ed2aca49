"""Markdown rendering (core/markdown.py): hostile input comes out inert, ordinary Markdown
renders, and no input costs more than the budget."""

from __future__ import annotations

import re
import time
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from docket.core import markdown
from docket.core.markdown import clean, plain, render

SAFE_SCHEMES = {"", "http", "https", "mailto"}


class _Tags(HTMLParser):
    """Every start tag with its attributes, as a browser would read them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {k: v or "" for k, v in attrs}))

    handle_startendtag = handle_starttag


def tags(html: str) -> list[tuple[str, dict[str, str]]]:
    parser = _Tags()
    parser.feed(html)
    parser.close()
    return parser.tags


@pytest.fixture(autouse=True)
def roomy_budget(request, monkeypatch):
    """Tests of what Markdown renders to get a budget no pause can exhaust (a full garbage
    collection in a long-lived test worker once took a 2 ms table past the 100 ms budget and
    it came out as plain text); tests of the budget itself are marked `real_budget`."""
    markdown.forget()  # every test parses afresh (prepared texts are cached per process)
    if "real_budget" not in request.keywords:
        monkeypatch.setattr(markdown, "BUDGET_SECONDS", 10.0)


def _scheme(url: str) -> str:
    # What a browser does before reading the scheme: strip C0 controls and spaces at the
    # ends, drop tabs and newlines anywhere.
    url = re.sub(r"[\t\n\r]", "", url.strip("".join(map(chr, range(0x21)))))
    return urlsplit(url).scheme.lower() if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", url) else ""


def assert_inert(html: str) -> None:
    assert "<script" not in html.lower()
    for tag, attrs in tags(html):
        assert tag in markdown.TAGS, tag
        for name, value in attrs.items():
            assert not name.startswith("on"), (tag, name)
            assert name not in ("style", "srcdoc", "formaction", "xlink:href"), (tag, name)
            assert "javascript:" not in value.lower().replace("\t", ""), (tag, name, value)
            if name in ("href", "src"):
                assert _scheme(value) in SAFE_SCHEMES, (tag, name, value)
        if tag == "a" and "href" in attrs:
            assert attrs["rel"] == "nofollow noopener noreferrer"
        if tag == "img" and "src" in attrs:
            src = attrs["src"]
            assert src.startswith("https://") or (not _scheme(src) and not src.startswith("//"))


# --- hostile input --------------------------------------------------------------------------------

HOSTILE = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "[x](JaVaScRiPt:alert(1))",
    "[x](java&#09;script:alert(1))",
    "[x](%01javascript:alert(1))",
    "[x](data:text/html;base64,PHNjcmlwdD4=)",
    "<xxx> [#1](javascript:alert(1))",
    '<base href="//evil">',
    "<svg><animate onbegin=alert(1)>",
    "<iframe src=//evil>",
    '<p style="x">',
    "![](http://169.254.169.254/)",
    "[x](vbscript:msgbox(1))",
    "[x](<javascript:alert(1)>)",
    "<javascript:alert(1)>",
    "[x][r]\n\n[r]: javascript:alert(1)",
    '[x](https://ok.example "a\\" onmouseover=\\"alert(1)")',
    "![x](javascript:alert(1))",
    "![x](data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=)",
    '```js"><script>alert(1)</script>\nx\n```',
    "<!-- <script>alert(1)</script> -->",
    "<a href='javascript:alert(1)'>x</a>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "| a |\n|---|\n| <script>alert(1)</script> |",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_input_comes_out_inert(text):
    html = render(text)
    assert_inert(html)
    assert clean(html) == html


def test_raw_html_is_shown_as_text_not_parsed():
    assert render("<script>alert(1)</script>") == "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>\n"
    assert render("<iframe src=//evil>") == "<p>&lt;iframe src=//evil&gt;</p>\n"
    assert render('<p style="x">') == '<p>&lt;p style="x"&gt;</p>\n'
    assert render('<base href="//evil">') == '<p>&lt;base href="//evil"&gt;</p>\n'


@pytest.mark.parametrize(
    "text",
    [
        "[x](JaVaScRiPt:alert(1))",
        "[x](data:text/html;base64,PHNjcmlwdD4=)",
        "<xxx> [#1](javascript:alert(1))",
        "[x](vbscript:msgbox(1))",
    ],
)
def test_dangerous_link_targets_make_no_link(text):
    assert [t for t, _ in tags(render(text)) if t == "a"] == []


@pytest.mark.parametrize("text", ["[x](java&#09;script:alert(1))", "[x](%01javascript:alert(1))"])
def test_disguised_script_targets_lose_their_href(text):
    # Percent-encoded, a browser would read a harmless relative path; dropped all the same.
    assert tags(render(text)) == [("p", {}), ("a", {"rel": "nofollow noopener noreferrer"})]


@pytest.mark.parametrize(
    ("text", "src"),
    [
        ("![](http://169.254.169.254/)", None),  # not https: the image is left without src
        ("![](//evil.example/x.png)", None),  # protocol-relative: another origin
        ("![](data:image/png;base64,AAAA)", None),
        ("![](/x.png)", "/x.png"),
        ("![](x.png)", "x.png"),
        ("![](https://img.example/x.png)", "https://img.example/x.png"),
    ],
)
def test_images_only_come_from_https_or_this_site(text, src):
    # Rendering is pure string work: the server never fetches an image, whatever its URL.
    [(_, attrs)] = [t for t in tags(render(text)) if t[0] == "img"]
    assert attrs.get("src") == src


# --- ordinary Markdown ----------------------------------------------------------------------------


def test_headings_emphasis_and_rules():
    assert render("# Title\n## Sub\n\n*em* **strong** ~~gone~~ `code`\n\n---") == (
        "<h1>Title</h1>\n<h2>Sub</h2>\n"
        "<p><em>em</em> <strong>strong</strong> <del>gone</del> <code>code</code></p>\n<hr>\n"
    )


def test_lists_and_quotes():
    assert render("- a\n- b\n\n3. c\n4. d\n\n> quoted") == (
        "<ul>\n<li>a</li>\n<li>b</li>\n</ul>\n"
        '<ol start="3">\n<li>c</li>\n<li>d</li>\n</ol>\n'
        "<blockquote>\n<p>quoted</p>\n</blockquote>\n"
    )


def test_code_fences_escape_their_content_and_keep_the_language():
    assert render("```python\nif a < b and c > d: print('<b>&')\n```") == (
        '<pre><code class="language-python">'
        "if a &lt; b and c &gt; d: print('&lt;b&gt;&amp;')\n</code></pre>\n"
    )


def test_a_bad_code_language_is_dropped():
    assert render('```"onclick=x\nhi\n```') == "<pre><code>hi\n</code></pre>\n"


def test_tables_with_alignment_but_no_inline_style():
    html = render("| a | b | c |\n|:--|--:|:-:|\n| 1 | 2 | 3 |")
    assert "<table>" in html and "style" not in html
    assert '<th align="left">a</th>' in html
    assert '<td align="right">2</td>' in html
    assert '<td align="center">3</td>' in html


def test_links_get_rel_nofollow_noopener_noreferrer():
    assert render("[docs](https://docs.example/a?b=1&c=2) <https://x.example> [i](/WEB-1)") == (
        '<p><a href="https://docs.example/a?b=1&amp;c=2" rel="nofollow noopener noreferrer">'
        'docs</a> <a href="https://x.example" rel="nofollow noopener noreferrer">'
        'https://x.example</a> <a href="/WEB-1" rel="nofollow noopener noreferrer">i</a></p>\n'
    )


def test_mail_links_and_titles():
    assert render('[mail](mailto:a@b.example "write")') == (
        '<p><a href="mailto:a@b.example" title="write" rel="nofollow noopener noreferrer">'
        "mail</a></p>\n"
    )


def test_other_schemes_lose_their_href():
    assert render("[f](ftp://files.example/x)") == (
        '<p><a rel="nofollow noopener noreferrer">f</a></p>\n'
    )


def test_empty_and_whitespace():
    assert render("") == ""
    assert render("  \n\n ") == ""


def test_text_past_the_limit_is_cut_off_and_marked(monkeypatch):
    monkeypatch.setattr(markdown, "MAX_CHARS", 10)
    assert render("0123456789abc") == "<p>0123456789</p>\n<p>…</p>"


# --- cost -----------------------------------------------------------------------------------------


def _fastest(text: str, runs: int = 3) -> tuple[float, str]:
    """CPU seconds of the quickest of `runs` renders (the budget is CPU time too): wall time
    on a shared test machine says more about the neighbours."""
    best, html = float("inf"), ""
    for _ in range(runs):
        start = time.process_time()
        html = render(text)
        best = min(best, time.process_time() - start)
    return best, html


@pytest.mark.real_budget
def test_a_megabyte_of_stars_renders_within_200ms():
    seconds, html = _fastest("*" * 1_000_000)
    assert seconds < 0.2
    assert html.endswith(markdown.TRUNCATED)  # over MAX_CHARS: cut off, and says so


@pytest.mark.real_budget
def test_100k_nested_quotes_render_within_200ms():
    seconds, html = _fastest(">" * 100_000)
    assert seconds < 0.2
    assert html.count("<blockquote>") == markdown.MAX_NESTING  # deeper levels are dropped


@pytest.mark.parametrize(
    "text",
    [
        "![" * 50_000,
        "[" * 100_000,
        "*_" * 50_000,
        "&#" * 50_000,
        "|a|b|\n|-|-|\n" + "|x|y|\n" * 16_000,
        "- a\n" * 25_000,
        "|a" * 16_000 + "\n" + "|-" * 16_000 + "\n" + "|x" * 16_000,
    ],
    ids=["images", "brackets", "emphasis", "entities", "table", "list", "wide table"],
)
@pytest.mark.real_budget
def test_pathological_input_falls_back_to_plain_text_within_budget(text):
    seconds, html = _fastest(text, runs=3)
    # The budget, then plain text. A generous bound (noisy shared machines): unbounded, these
    # inputs took 0.4-3.3 s of CPU.
    assert seconds < 0.4 + markdown.BUDGET_SECONDS
    assert_inert(html)


def test_tables_wider_than_the_limit_stay_text():
    columns = markdown.MAX_TABLE_COLUMNS
    assert "<table>" in render("|a" * columns + "|\n" + "|-" * columns + "|")
    assert "<table>" not in render("|a" * (columns + 1) + "|\n" + "|-" * (columns + 1) + "|")


def test_a_passed_deadline_gives_plain_text():
    text = "# not a heading\n<b>&</b>\n\n*x*"
    assert render(text, until=markdown.deadline(-1)) == plain(text)
    assert plain(text) == "<p># not a heading<br>&lt;b&gt;&amp;&lt;/b&gt;</p><p>*x*</p>"


# --- properties -----------------------------------------------------------------------------------

FRAGMENTS = st.sampled_from(
    [
        "<script>", "</script>", "<img src=x onerror=alert(1)>", "javascript:", "JaVaScRiPt:",
        "java&#09;script:", "&#x6A;avascript:", "%01", "data:text/html,", "vbscript:", "onerror=",
        " onload=", "<a href=", "<svg/onload=alert(1)>", "<style>", "<iframe", "style=",
        "[", "]", "(", ")", "![", "](", "<", ">", "\"", "'", "`", "```", "*", "_", "~~", "|",
        "-", "#", "\n", "\n\n", "    ", "\\", "&", "&amp;", "&#0;", "\x00", "\xa0", "\r",
        "http://", "https://", "//", "mailto:", "x", "alert(1)", ":", "|---|", "> ", "1. ",
    ]
)  # fmt: skip
MARKDOWNISH = st.one_of(st.lists(FRAGMENTS, max_size=40).map("".join), st.text(max_size=200))
PROPERTY = settings(max_examples=300, deadline=None, database=None)


@PROPERTY
@given(MARKDOWNISH)
def test_rendered_markdown_is_always_inert(text):
    assert_inert(render(text))


@PROPERTY
@given(MARKDOWNISH)
def test_rendered_markdown_is_already_clean(text):
    html = render(text)
    assert clean(html) == html


@PROPERTY
@given(MARKDOWNISH)
def test_the_plain_text_fallback_is_inert_and_already_clean(text):
    html = plain(text)
    assert_inert(html)
    assert [t for t, _ in tags(html)] == [t for t in re.findall(r"<(p|br)>", html)]
    assert clean(html) == html


# --- the API -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_api_serves_an_issues_description_as_inert_html(cast):
    alice = cast.api(cast.alice)
    description = "<script>alert(1)</script>\n\n[x](javascript:alert(1)) **bold**"
    created = alice.post("/projects/WEB/issues", {"title": "XSS", "description": description})
    assert created.status_code == 201, created.content

    issue = alice.get("/issues/WEB-1").json()

    assert issue["description"] == description  # the source is kept as written
    assert issue["description_html"] == (
        "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>\n"
        "<p>[x](javascript:alert(1)) <strong>bold</strong></p>\n"
    )
    assert created.json()["description_html"] == issue["description_html"]
    listed = alice.get("/issues").json()["items"]
    assert "description_html" not in listed[0]  # list rows stay cheap


@pytest.mark.django_db
def test_the_api_serves_comments_as_inert_html(cast):
    alice = cast.api(cast.alice)
    alice.post("/projects/WEB/issues", {"title": "XSS"})
    posted = alice.post("/issues/WEB-1/comments", {"body": "<img src=x onerror=alert(1)> _hi_"})
    assert posted.status_code == 201, posted.content

    [comment] = alice.get("/issues/WEB-1/comments").json()["items"]

    assert comment["body_html"] == "<p>&lt;img src=x onerror=alert(1)&gt; <em>hi</em></p>\n"
    assert posted.json()["body_html"] == comment["body_html"]


@pytest.mark.django_db
def test_a_page_of_comments_shares_one_render_budget(cast, monkeypatch):
    from docket.issues import api as issues_api

    alice = cast.api(cast.alice)
    alice.post("/projects/WEB/issues", {"title": "Chatty"})
    for body in ("**one**", "_two_"):
        alice.post("/issues/WEB-1/comments", {"body": body})
    monkeypatch.setattr(issues_api, "COMMENT_PAGE_RENDER_SECONDS", -1)  # spent before it starts
    markdown.forget()  # the answers to the POSTs rendered (and kept) both

    items = alice.get("/issues/WEB-1/comments").json()["items"]

    assert [c["body_html"] for c in items] == ["<p>**one**</p>", "<p>_two_</p>"]


# --- references: @mentions and issue keys ---------------------------------------------------------

PEOPLE = {"bob": markdown.Link("/people/bob"), "zoë": markdown.Link("/people/zoe")}
ISSUES = {"WEB-12": markdown.Link("/WEB-12", 'Login "fails" <b>')}
KNOWN = markdown.References(people=PEOPLE, issues=ISSUES)


def shown(text: str) -> str:
    return markdown.finish(markdown.prepare(text), KNOWN)


def links(html: str) -> list[tuple[str, str]]:
    return [(a.get("class", ""), a["href"]) for tag, a in tags(html) if tag == "a"]


def test_a_known_mention_is_a_link_and_an_unknown_one_stays_text():
    html = shown("thanks @bob and @nobody")
    assert html == ('<p>thanks <a href="/people/bob" class="mention">@bob</a> and @nobody</p>\n')


@pytest.mark.parametrize(
    "text",
    [
        "write to bob@example.com",  # an address
        "`@bob`",  # a code span
        "```\n@bob\n```",  # a fenced block
        "    @bob",  # an indented block
        "[ask @bob](https://example.com)",  # a link's text
        "<https://example.com/@bob>",  # an autolink
        "see https://example.com/@bob",  # a path
        "\\@bob",  # escaped
        "@bob@example.com",  # an address behind an @
    ],
)
def test_no_mention_in_addresses_code_links_or_escapes(text):
    prepared = markdown.prepare(text)
    assert prepared.mentions == ()
    assert "mention" not in shown(text)


def test_mentions_end_at_punctuation_and_take_any_letters():
    prepared = markdown.prepare("(@bob), @zoë. @a.b-c_d! @end-")
    assert prepared.mentions == ("bob", "zoë", "a.b-c_d", "end")
    assert links(shown("(@bob), @zoë.")) == [("mention", "/people/bob"), ("mention", "/people/zoe")]


def test_an_issue_key_is_a_link_titled_with_the_issue_only_when_resolved():
    html = shown("see WEB-12 and WEB-13")
    assert html == (
        '<p>see <a href="/WEB-12" class="issue-ref" title="Login &quot;fails&quot; &lt;b&gt;">'
        "WEB-12</a> and WEB-13</p>\n"
    )


@pytest.mark.parametrize(
    "text",
    ["`WEB-12`", "x/WEB-12", "WEB-12-2", "ABC-WEB-12", "web-12", "[WEB-12](https://e.com)",
     "WEB-012", "see.WEB-12"],
)  # fmt: skip
def test_issue_keys_are_whole_words_outside_code_and_links(text):
    assert markdown.prepare(text).keys == ()


def test_references_are_collected_once_each_and_bounded():
    text = " ".join(f"@user{n} WEB-{n + 1}" for n in range(markdown.MAX_REFERENCES + 10))
    prepared = markdown.prepare(text + " @user0 WEB-1")
    assert len(prepared.mentions) == len(prepared.keys) == markdown.MAX_REFERENCES
    assert prepared.mentions[:2] == ("user0", "user1")


def test_a_placeholder_cannot_be_forged():
    # The markers of prepared HTML are Unicode noncharacters: typed ones are replaced.
    text = "\ufdd0mbob\ufdd1 and \ufdd0kWEB-12\ufdd1"
    html = shown(text)
    assert "<a" not in html and "\ufdd0" not in html


def test_a_page_resolves_its_references_in_one_call():
    calls = []

    def resolve(names, keys):
        calls.append((names, keys))
        return KNOWN

    html = markdown.render_many(["@bob", "WEB-12", "no references"], resolve=resolve)
    assert calls == [({"bob"}, {"WEB-12"})]
    assert [len(links(h)) for h in html] == [1, 1, 0]
    markdown.render_many(["plain"], resolve=resolve)
    assert len(calls) == 1  # nothing to resolve, no call


def test_prepared_texts_are_cached():
    assert markdown.prepare("**cached** @bob") is markdown.prepare("**cached** @bob")


def test_the_cache_drops_the_least_recently_used_past_its_size():
    cache = markdown.PreparedCache(limit=100)
    old, used, new = (markdown.Prepared("<p>" + "x" * 30 + "</p>") for _ in range(3))
    cache.put("old", old)
    cache.put("used", used)
    assert cache.get("old") is old  # now the most recently used
    cache.put("new", new)  # 3 * 40 characters: one has to go
    assert (cache.get("used"), cache.get("old"), cache.get("new")) == (None, old, new)
    assert cache.size <= 100
    cache.put("huge", markdown.Prepared("y" * 200))  # larger than the whole cache: not kept
    assert cache.get("huge") is None and cache.get("new") is new


# --- task lists ------------------------------------------------------------------------------


def test_task_lists_render_as_disabled_checkboxes():
    html = render("- [ ] write it\n- [x] test it\n- [X] ship it\n- [] not a task\n- plain")
    assert html == (
        "<ul>\n"
        '<li class="task"><input type="checkbox" disabled=""> write it</li>\n'
        '<li class="task"><input type="checkbox" disabled="" checked=""> test it</li>\n'
        '<li class="task"><input type="checkbox" disabled="" checked=""> ship it</li>\n'
        "<li>[] not a task</li>\n"
        "<li>plain</li>\n"
        "</ul>\n"
    )
    assert_inert(html)


def test_a_box_outside_a_list_item_is_text():
    assert render("[ ] not in a list") == "<p>[ ] not in a list</p>\n"
    assert render("1. [x] numbered\n\n   - [ ] nested").count('type="checkbox"') == 2


def test_the_cleaner_keeps_only_disabled_checkboxes_and_the_task_class():
    dirty = (
        '<li class="evil">a</li><input type="text" name="x" form="f" value="v">'
        '<input type="checkbox" disabled checked>'
    )
    assert clean(dirty) == ('<li>a</li><input><input type="checkbox" disabled="" checked="">')
