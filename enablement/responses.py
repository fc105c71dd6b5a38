"""How an asset reaches a browser, the same from the portal and the API."""

from django.http import FileResponse
from django.shortcuts import redirect

from . import services
from .models import ContentAsset


def file_response(asset: ContentAsset) -> FileResponse:
    """An asset's file, always as a download: never rendered by the browser, whatever it holds."""
    response = FileResponse(
        asset.file.open("rb"),
        as_attachment=True,
        filename=asset.original_filename or f"asset-{asset.pk}",
        content_type=asset.content_type or "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def asset_download(request, asset: ContentAsset):
    """Count the download, then hand out the file (or send the browser to the link)."""
    services.content_download_record(asset=asset, user=request.user)
    if asset.kind == ContentAsset.Kind.LINK:
        return redirect(asset.url)
    return file_response(asset)
