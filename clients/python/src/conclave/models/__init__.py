"""Typed models of every resource the API returns."""

from ._base import Model
from .agents import Agent, APIKey, APIKeyCreated, Scope
from .channels import Channel, ChannelDetail, ChannelMembership, ChannelStatus, ReadMarker
from .identity import Bootstrapped, Me, MfaRequired, PrincipalKind, Role, Session, TokenPair, WorkspaceRole
from .messages import Approval, File, FileRef, Highlight, Message, Provenance, Reaction, SearchHit, Sender, StreamAppend
from .webhooks import Webhook, WebhookCreated, WebhookDelivery
from .workspaces import AuditActor, AuditEntry, Invite, InviteAccepted, InviteCreated, InviteSignedUp, Member, Workspace

__all__ = [
    "Model", "Agent", "APIKey", "APIKeyCreated", "Scope", "Channel", "ChannelDetail", "ChannelMembership",
    "ReadMarker", "ChannelStatus", "Bootstrapped", "Me", "MfaRequired", "PrincipalKind", "Role", "Session", "TokenPair",
    "WorkspaceRole", "Approval", "File", "FileRef", "Highlight", "Message", "Provenance", "Reaction", "SearchHit", "Sender",
    "StreamAppend", "Webhook",
    "WebhookCreated", "WebhookDelivery", "AuditActor", "AuditEntry", "Invite", "InviteAccepted",
    "InviteCreated", "InviteSignedUp", "Member", "Workspace",
]
