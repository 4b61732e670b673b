"""A consumer may read a course event as its headline (``CourseChange``) instead of the whole
course: what it reads must be what the full event says."""
from __future__ import annotations

from datetime import date

from services.chassis.events import _event_of
from services.contracts.catalogue import CourseChange, CoursePublished, CourseWithdrawn
from tests.search import corpus


def _wire(event) -> dict:
    return event.envelope().model_dump(mode="json")


def test_the_headline_of_a_course_event_is_what_the_full_event_says():
    courses = corpus.courses(date.today())
    assert len(courses) > 20
    for course in courses:
        for cls, status in ((CoursePublished, "published"), (CourseWithdrawn, "withdrawn")):
            course = course.model_copy(update={"status": status})
            payload = _wire(cls(course_id=course.id, provider_id=course.provider.id, version=course.version,
                                course=course))
            _, full = _event_of(payload, cls.event_type)
            _, headline = _event_of(payload, cls.event_type, CourseChange)
            assert type(full) is cls and type(headline) is CourseChange
            assert (headline.course_id, headline.provider_id, headline.version, headline.course.title) == \
                   (full.course_id, full.provider_id, full.version, full.course.title)
            assert headline.published is full.published is (status == "published")


def test_a_headline_does_not_carry_the_rest_of_the_course():
    course = corpus.courses(date.today())[0]
    payload = _wire(CoursePublished(course_id=course.id, provider_id=course.provider.id, version=1, course=course))
    _, headline = _event_of(payload, CoursePublished.event_type, CourseChange)
    assert set(headline.course.model_dump()) == {"title", "status"}
    assert course.offerings and not hasattr(headline.course, "offerings")
