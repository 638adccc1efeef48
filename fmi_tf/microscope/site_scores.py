"""A picture's faithfulness scores as the site's pages show them.

`site_faithfulness` matches a record's scores to the atlas's pictures;
this module turns one picture's scores into the plain values the pages of
`fmi_tf.html.site` take: its trust in words and as a CSS class, its score
under a judge, each judge's row with its intervals written out.
"""

from typing import Optional

from fmi_tf.microscope import site_faithfulness

# The CSS class of each trust a picture may have.
TRUST_CLASSES = {site_faithfulness.BEATS: "beats",
                 site_faithfulness.FAILS: "fails",
                 site_faithfulness.UNTESTABLE: "untestable",
                 site_faithfulness.NOT_MEASURED: "unmeasured"}


def _interval(value: Optional[float], low: Optional[float],
              high: Optional[float], sign: str = "") -> str:
  """`0.83 [0.71, 0.92]`, or the value alone where the interval is None."""
  text = f"{value:{sign}.2f}"
  if low is None or high is None:
    return text
  return f"{text} [{low:{sign}.2f}, {high:{sign}.2f}]"


def card(picture: Optional[site_faithfulness.PictureScores],
         judge: Optional[str]) -> dict:
  """A card's faithfulness: {"trust", "score", "class"}, its trust, its
  score under `judge` (None where not measured) and the trust's CSS
  class."""
  if picture is None:
    return {"trust": site_faithfulness.NOT_MEASURED, "score": None,
            "class": TRUST_CLASSES[site_faithfulness.NOT_MEASURED]}
  score = next((j.score for j in picture.judges if j.judge == judge), None)
  return {"trust": picture.trust, "score": score,
          "class": TRUST_CLASSES[picture.trust]}


def picture(scores: Optional[site_faithfulness.PictureScores],
            scored: bool) -> Optional[dict]:
  """What a filter page shows of one picture's scores (None: no record).

  Returns:
    {"trust", "class", "condition", "matched", "judges"}, each judge as
    {"judge", "circular", "verdict", "score", "null", "gain", "ceiling"}
    with its numbers in words.
  """
  if not scored:
    return None
  trust = scores.trust if scores else site_faithfulness.NOT_MEASURED
  return {"trust": trust, "class": TRUST_CLASSES[trust],
          "condition": scores.condition if scores else None,
          "matched": scores.matched if scores else False,
          "judges": [{
              "judge": j.judge, "circular": j.circular, "verdict": j.verdict,
              "score": _interval(j.score, j.score_low, j.score_high),
              "null": f"{j.null:.2f}",
              "gain": _interval(j.gain, j.gain_low, j.gain_high, "+"),
              "ceiling": "-" if j.ceiling is None else f"{j.ceiling:.2f}"}
                     for j in (scores.judges if scores else ())]}
