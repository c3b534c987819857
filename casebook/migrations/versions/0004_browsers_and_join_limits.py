"""one browser, one participant: participants.browser; wrong join codes for the rate limit

``participants.browser`` is a keyed hash of the browser's cookie (computed by the server,
never the cookie itself): a reload, a new tab or a restart finds the same participant.
``join_failures`` keeps the time of each wrong code (and the browser's hash) for one minute's
rate limit; rows older than that are deleted as new ones come in.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30
"""
from alembic import op
import sqlalchemy as sa


revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("participants", schema=None) as batch_op:
        batch_op.add_column(sa.Column("browser", sa.String(length=64), nullable=True))
        batch_op.create_index("ix_participants_session_browser", ["session_id", "browser"], unique=False)
    op.create_table(
        "join_failures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.Float(), nullable=False),
        sa.Column("browser", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("join_failures", schema=None) as batch_op:
        batch_op.create_index("ix_join_failures_at", ["at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("join_failures", schema=None) as batch_op:
        batch_op.drop_index("ix_join_failures_at")
    op.drop_table("join_failures")
    with op.batch_alter_table("participants", schema=None) as batch_op:
        batch_op.drop_index("ix_participants_session_browser")
        batch_op.drop_column("browser")
