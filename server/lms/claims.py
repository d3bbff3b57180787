"""The LTI 1.3 and Proctoring Services claim names and message types Eye reads and writes
(one vocabulary: the door, the checks and the tests import them from here)."""

from __future__ import annotations

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
AP = "https://purl.imsglobal.org/spec/lti-ap/claim/"

MESSAGE_TYPE = LTI + "message_type"
VERSION = LTI + "version"
DEPLOYMENT_ID = LTI + "deployment_id"
TARGET_LINK_URI = LTI + "target_link_uri"
RESOURCE_LINK = LTI + "resource_link"
ROLES = LTI + "roles"
CONTEXT = LTI + "context"

SESSION_DATA = AP + "session_data"
START_ASSESSMENT_URL = AP + "start_assessment_url"
ATTEMPT_NUMBER = AP + "attempt_number"
PROCTORING_SETTINGS = AP + "proctoring_settings"
END_ASSESSMENT_RETURN = AP + "end_assessment_return"
VERIFIED_USER = AP + "verified_user"

#: LIS roles (LTI 1.3 core, appendix A.2) Eye tells apart.
LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
INSTRUCTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"
ADMINISTRATOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Administrator"
#: Roles that make an LMS user an instructor (a teaching assistant is a sub-role of Instructor).
INSTRUCTOR_ROLES = (INSTRUCTOR, "http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#")
#: Roles that make an LMS user an administrator: of the course, the institution or the system.
ADMINISTRATOR_ROLES = (ADMINISTRATOR, "http://purl.imsglobal.org/vocab/lis/v2/institution/person#Administrator",
                       "http://purl.imsglobal.org/vocab/lis/v2/system/person#Administrator")

RESOURCE_LINK_REQUEST = "LtiResourceLinkRequest"
START_PROCTORING = "LtiStartProctoring"
START_ASSESSMENT = "LtiStartAssessment"
END_ASSESSMENT = "LtiEndAssessment"

#: What each message Eye accepts must carry beyond the core claims (the specs' "required").
REQUIRED: dict[str, tuple[str, ...]] = {
    RESOURCE_LINK_REQUEST: (RESOURCE_LINK, TARGET_LINK_URI, ROLES),
    START_PROCTORING: (RESOURCE_LINK, SESSION_DATA, START_ASSESSMENT_URL, ATTEMPT_NUMBER),
    END_ASSESSMENT: (RESOURCE_LINK, ATTEMPT_NUMBER),
}
