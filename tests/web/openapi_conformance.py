"""Checks that an API response matches the OpenAPI document, for every API test module."""

from openapi_core import OpenAPI
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest, WerkzeugOpenAPIResponse
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from app.api.openapi import openapi_document

SPEC = OpenAPI.from_dict(openapi_document())


def conforms(response):
    """Fail unless the response matches the OpenAPI document for its operation and status."""
    sent = response.request  # its body was consumed by the app; the operation is all that matters here
    request = Request(
        EnvironBuilder(
            path=sent.path, method=sent.method, query_string=sent.query_string.decode()
        ).get_environ()
    )
    SPEC.validate_response(WerkzeugOpenAPIRequest(request), WerkzeugOpenAPIResponse(response))
    return response
