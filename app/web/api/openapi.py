"""The OpenAPI 3.1 document of the exam API, served at /api/openapi.json."""

from __future__ import annotations

from typing import Any


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


ERRORS = {
    "400": _json(_ref("Error"), "Malformed request (invalid_input) or CSRF failure (csrf_failed)"),
    "401": _json(_ref("Error"), "Not signed in (unauthorized)"),
    "403": _json(_ref("Error"), "forbidden, not_eligible or no_attempts_left"),
    "404": _json(_ref("Error"), "not_found, also for another person's attempt"),
}

SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "required": ["error", "message"],
        "properties": {"error": {"type": "string"}, "message": {"type": "string"}},
    },
    "ExamSummary": {
        "type": "object",
        "required": ["id", "title", "kind"],
        "properties": {
            "id": {"type": "integer"},
            "title": {"type": "string"},
            "kind": {"enum": ["pre_appointment", "annual", "make_up", "practice"]},
        },
    },
    "ExamListing": {
        "allOf": [
            _ref("ExamSummary"),
            {
                "type": "object",
                "required": ["opens_at", "closes_at", "time_limit_minutes", "attempt"],
                "properties": {
                    "opens_at": {"type": "string", "format": "date-time"},
                    "closes_at": {"type": "string", "format": "date-time"},
                    "time_limit_minutes": {"type": "integer"},
                    "attempts_allowed": {"type": "integer"},
                    "attempt": {
                        "oneOf": [
                            {"type": "null"},
                            {
                                "type": "object",
                                "required": ["id", "status"],
                                "properties": {"id": {"type": "integer"}, "status": _ref("Status")},
                            },
                        ]
                    },
                },
            },
        ],
    },
    "Status": {"enum": ["in_progress", "submitted", "expired"]},
    "Option": {
        "type": "object",
        "required": ["key", "text"],
        "properties": {"key": {"type": "string"}, "text": {"type": "string"}},
    },
    "Item": {
        "type": "object",
        "required": ["position", "type", "stem", "options"],
        "properties": {
            "position": {"type": "integer", "minimum": 1},
            "type": {"enum": ["single", "multiple", "judge"]},
            "stem": {"type": "string"},
            "options": {"type": "array", "items": _ref("Option")},
        },
    },
    "Section": {
        "type": "object",
        "required": ["title", "type", "points", "items"],
        "properties": {
            "title": {"type": "string"},
            "type": {"enum": ["single", "multiple", "judge"]},
            "points": {"type": "number"},
            "items": {"type": "array", "items": _ref("Item")},
        },
    },
    "SavedAnswer": {
        "type": "object",
        "required": ["choice", "seq"],
        "properties": {
            "choice": {"type": "array", "items": {"type": "string"}},
            "seq": {"type": "integer"},
            "flagged": {"type": "boolean"},
        },
    },
    "Attempt": {
        "type": "object",
        "required": ["id", "status", "deadline", "server_time", "exam", "answers"],
        "properties": {
            "id": {"type": "integer"},
            "status": _ref("Status"),
            "deadline": {"type": "string", "format": "date-time"},
            "server_time": {"type": "string", "format": "date-time"},
            "exam": _ref("ExamSummary"),
            "sections": {
                "type": "array",
                "items": _ref("Section"),
                "description": "present while the attempt is in progress",
            },
            "answers": {
                "type": "object",
                "additionalProperties": _ref("SavedAnswer"),
                "description": "saved answers by position",
            },
        },
    },
    "AnswerIn": {
        "type": "object",
        "required": ["choice", "seq"],
        "properties": {
            "choice": {
                "type": "array",
                "items": {"type": "string"},
                "description": "the displayed option keys; [] clears the answer",
            },
            "seq": {
                "type": "integer",
                "minimum": 0,
                "maximum": 2**31 - 1,
                "description": "client sequence; a lower seq than the stored one is ignored",
            },
            "flagged": {"type": "boolean"},
        },
    },
    "SaveResult": {
        "type": "object",
        "required": ["position", "choice", "seq", "applied", "deadline", "server_time"],
        "properties": {
            "position": {"type": "integer"},
            "choice": {"type": "array", "items": {"type": "string"}},
            "seq": {"type": "integer"},
            "applied": {"type": "boolean"},
            "deadline": {"type": "string", "format": "date-time"},
            "server_time": {"type": "string", "format": "date-time"},
        },
    },
    "SectionScore": {
        "type": "object",
        "required": ["title", "score", "max_score"],
        "properties": {
            "title": {"type": "string"},
            "score": {"type": "number"},
            "max_score": {"type": "number"},
        },
    },
    "ReviewItem": {
        "type": "object",
        "properties": {
            "position": {"type": "integer"},
            "type": {"type": "string"},
            "stem": {"type": "string"},
            "options": {"type": "array", "items": _ref("Option")},
            "choice": {"type": "array", "items": {"type": "string"}},
            "key": {"type": "array", "items": {"type": "string"}},
            "earned": {"type": "number"},
            "points": {"type": "number"},
            "correct": {"type": "boolean"},
            "explanation": {"type": "string"},
            "law": {"type": "string"},
            "article": {"type": "string"},
        },
    },
    "Result": {
        "type": "object",
        "required": ["id", "status", "score", "max_score", "passed", "sections"],
        "properties": {
            "id": {"type": "integer"},
            "status": _ref("Status"),
            "score": {"type": "number"},
            "max_score": {"type": "number"},
            "pass_score": {"type": "number"},
            "passed": {"type": "boolean"},
            "sections": {"type": "array", "items": _ref("SectionScore")},
            "review_allowed": {"type": "boolean"},
            "review": {
                "type": "array",
                "items": _ref("ReviewItem"),
                "description": "only when the exam's review policy allows",
            },
        },
    },
}

ATTEMPT_ID = {"name": "attempt_id", "in": "path", "required": True, "schema": {"type": "integer"}}
CSRF = {
    "name": "X-CSRFToken",
    "in": "header",
    "required": True,
    "schema": {"type": "string"},
    "description": 'the token from the page\'s <meta name="csrf-token">',
}


def openapi_document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Law-exam delivery API",
            "version": "1.0.0",
            "description": "Candidates' exam API: session cookie plus X-CSRFToken on "
            'POST and PUT. Errors are {"error", "message"}.',
        },
        "paths": {
            "/api/exams": {
                "get": {
                    "summary": "Exams open to the current candidate, with the attempt's state",
                    "responses": {
                        "200": _json({"type": "array", "items": _ref("ExamListing")}, "The exams"),
                        **ERRORS,
                    },
                }
            },
            "/api/exams/{exam_id}/attempts": {
                "post": {
                    "summary": "Start (201) or resume (200) the candidate's attempt",
                    "parameters": [
                        {
                            "name": "exam_id",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "integer"},
                        },
                        CSRF,
                    ],
                    "responses": {
                        "200": _json(_ref("Attempt"), "Resumed"),
                        "201": _json(_ref("Attempt"), "Started"),
                        "409": _json(_ref("Error"), "exam_not_open"),
                        **ERRORS,
                    },
                }
            },
            "/api/attempts/{attempt_id}": {
                "get": {
                    "summary": "The paper without keys, saved answers, deadline and server time",
                    "parameters": [ATTEMPT_ID],
                    "responses": {"200": _json(_ref("Attempt"), "The attempt"), **ERRORS},
                }
            },
            "/api/attempts/{attempt_id}/answers/{position}": {
                "put": {
                    "summary": "Save one answer; committed before the reply",
                    "parameters": [
                        ATTEMPT_ID,
                        {
                            "name": "position",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "integer", "minimum": 1},
                        },
                        CSRF,
                    ],
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": _ref("AnswerIn")}},
                    },
                    "responses": {
                        "200": _json(_ref("SaveResult"), "Saved (or older seq ignored)"),
                        "409": _json(_ref("Error"), "attempt_closed"),
                        "422": _json(_ref("Error"), "invalid_choice"),
                        **ERRORS,
                    },
                }
            },
            "/api/attempts/{attempt_id}/submit": {
                "post": {
                    "summary": "Finish and grade; calling it again returns the same result",
                    "parameters": [ATTEMPT_ID, CSRF],
                    "responses": {"200": _json(_ref("Result"), "The result"), **ERRORS},
                }
            },
            "/api/attempts/{attempt_id}/result": {
                "get": {
                    "summary": "Score, pass/fail, per section; review only when allowed",
                    "parameters": [ATTEMPT_ID],
                    "responses": {
                        "200": _json(_ref("Result"), "The result"),
                        "409": _json(_ref("Error"), "attempt_in_progress"),
                        **ERRORS,
                    },
                }
            },
            "/api/openapi.json": {
                "get": {
                    "summary": "This document",
                    "responses": {"200": {"description": "OpenAPI 3.1"}},
                }
            },
        },
        "components": {"schemas": SCHEMAS},
    }
