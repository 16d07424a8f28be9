"""faithful to the action plan (issue 18): directorates cover sets of regions, organisations
serve sets of regions, organisation kinds allowed per domain, the regionalisation network,
the remote-interpretation pilot's regions and marks, the airport's receptions, the consent a
plan action needs, the occupations' classification version and unranked list, referral approval per region and kind

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-06 13:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None

# The kinds that replace « other » (seed/organisations.yaml explains them).
KINDS = {
    'sanc': 'community',
    'reseau_accueil_estrien': 'community',
    'vivre_en_gaspesie': 'community',
    'sito': 'community',
    'ciel': 'community',
    'cjep': 'community',
    'quebec_international': 'economic_development',
    'monteregie_economique': 'economic_development',
    'sded': 'economic_development',
    'interconnexion_laval': 'employer_recruitment',
    'qualifications_quebec': 'skills_recognition',
}
# Regions the document adds to an organisation's own (SDED l. 1247–1249; Québec International
# mesure 5.9.1, l. 1315).
MORE_REGIONS = {'sded': '04', 'quebec_international': '12'}
REGIONALISATION = ('promis', 'cfiq', 'alpa', 'carrefour_ble', 'pivot_lanaudiere',
                   'pivot_laurentides', 'sito', 'ciel', 'cjep')
DOMAIN_KINDS = {
    'settlement': ['pasi_partner', 'community', 'government'],
    'francisation': ['government', 'pasi_partner'],
    'community': ['pasi_partner', 'community', 'government'],
    'employment': ['pasi_partner', 'community', 'government', 'skills_recognition',
                   'economic_development', 'employer_recruitment'],
    'immigration': ['pasi_partner', 'community', 'government'],
}


# The remote-interpretation pilot (mesures 4.5.2, 7.6.3, 13.1.2).
PILOT_REGIONS = ('04', '05', '17')
PILOT_TABLES = ('regions', 'assessments', 'appointments')


# The rules' actions done « avec le consentement de la personne » (seed/plan_rules.yaml).
CONSENTED_ACTIONS = (
    "Informer du projet d'installation, avec le consentement de la personne, la conseillère ou "
    "le conseiller en immigration régionale de la région visée",
    "Transmettre, avec le consentement de la personne, son profil et son projet à la conseillère "
    "ou au conseiller en immigration régionale de la région visée",
)


# CNP 2016 → CNP 2021 (seed/occupations.yaml), and the document's printed order, which no
# longer ranks them: a priority still equal to it was never set by an administrator.
CNP_2021 = {'4032': '41221', '3012': '31301', '5241': '52120', '7237': '72106', '2281': '22220',
            '2143': '21330', '7312': '72401', '7242': '72201'}
PRINTED_ORDER = ('4032', '3012', '5241', '7237', '2281', '7201', '2143', '7312', '7242')


def upgrade():
    op.create_table(
        'referral_approval_rules',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('region_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('required', sa.Boolean(), nullable=False),
        sa.Column('updated_by_id', sa.Integer(), nullable=True),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['region_id'], ['regions.id'],
                                name=op.f('fk_referral_approval_rules_region_id_regions'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'],
                                name=op.f('fk_referral_approval_rules_updated_by_id_users'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_referral_approval_rules')),
        sa.UniqueConstraint('region_id', 'kind',
                            name=op.f('uq_referral_approval_rules_region_id_kind')),
    )
    with op.batch_alter_table('occupations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cnp_version', sa.String(length=4), server_default='2016',
                                      nullable=False))
        batch_op.add_column(sa.Column('cnp_2021', sa.String(length=5), nullable=True))
        batch_op.add_column(sa.Column('version', sa.Integer(), server_default='1', nullable=False))
        batch_op.alter_column('priority', existing_type=sa.Integer(), nullable=True)
    occupations = sa.table('occupations', sa.column('cnp', sa.String),
                           sa.column('cnp_2021', sa.String), sa.column('priority', sa.Integer))
    for code, new in CNP_2021.items():
        op.execute(occupations.update().where(occupations.c.cnp == code).values(cnp_2021=new))
    for rank, code in enumerate(PRINTED_ORDER, start=1):
        op.execute(occupations.update()
                   .where(occupations.c.cnp == code, occupations.c.priority == rank)
                   .values(priority=None))
    with op.batch_alter_table('plan_actions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('consent_purpose', sa.String(length=30), nullable=True))
    actions = sa.table('plan_actions', sa.column('label', sa.String),
                       sa.column('consent_purpose', sa.String))
    op.execute(actions.update().where(actions.c.label.in_(CONSENTED_ACTIONS))
               .values(consent_purpose='transfer_region'))
    op.create_table(
        'airport_receptions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('given_names', sa.String(length=200), nullable=False),
        sa.Column('family_name', sa.String(length=200), nullable=False),
        sa.Column('immigration_category', sa.String(length=30), nullable=False),
        sa.Column('arrival_date', sa.Date(), nullable=False),
        sa.Column('destination_region_id', sa.Integer(), nullable=False),
        sa.Column('host_city', sa.String(length=120), nullable=False),
        sa.Column('welcomed_by_id', sa.Integer(), nullable=False),
        sa.Column('welcomed_at', sa.DateTime(), nullable=False),
        sa.Column('left_at', sa.DateTime(), nullable=True),
        sa.Column('left_recorded_by_id', sa.Integer(), nullable=True),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['destination_region_id'], ['regions.id'],
                                name=op.f('fk_airport_receptions_destination_region_id_regions')),
        sa.ForeignKeyConstraint(['left_recorded_by_id'], ['users.id'],
                                name=op.f('fk_airport_receptions_left_recorded_by_id_users')),
        sa.ForeignKeyConstraint(['welcomed_by_id'], ['users.id'],
                                name=op.f('fk_airport_receptions_welcomed_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_airport_receptions')),
    )
    with op.batch_alter_table('airport_receptions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_airport_receptions_welcomed_at'), ['welcomed_at'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_airport_receptions_welcomed_by_id'),
                              ['welcomed_by_id'], unique=False)
    for table in PILOT_TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('interpretation_pilot', sa.Boolean(),
                                          server_default='0', nullable=False))
    regions = sa.table('regions', sa.column('code', sa.String),
                       sa.column('interpretation_pilot', sa.Boolean))
    op.execute(regions.update().where(regions.c.code.in_(PILOT_REGIONS))
               .values(interpretation_pilot=True))
    op.create_table(
        'directorate_regions',
        sa.Column('region_id', sa.Integer(), nullable=False),
        sa.Column('directorate_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['directorate_id'], ['service_points.id'],
                                name=op.f('fk_directorate_regions_directorate_id_service_points'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['region_id'], ['regions.id'],
                                name=op.f('fk_directorate_regions_region_id_regions'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('region_id', name=op.f('pk_directorate_regions')),
    )
    with op.batch_alter_table('directorate_regions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_directorate_regions_directorate_id'),
                              ['directorate_id'], unique=False)
    op.create_table(
        'organisation_regions',
        sa.Column('organisation_id', sa.Integer(), nullable=False),
        sa.Column('region_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'],
                                name=op.f('fk_organisation_regions_organisation_id_organisations'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['region_id'], ['regions.id'],
                                name=op.f('fk_organisation_regions_region_id_regions'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('organisation_id', 'region_id',
                                name=op.f('pk_organisation_regions')),
    )
    with op.batch_alter_table('domains', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('organisation_kinds', sa.JSON(), server_default='[]', nullable=False)
        )
    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('regionalisation', sa.Boolean(), server_default='0', nullable=False)
        )

    # The existing data: each directorate covers at least its own region (the seed adds the
    # rest), each organisation serves its region, then the document's corrections.
    op.execute(
        "INSERT INTO directorate_regions (region_id, directorate_id) "
        "SELECT region_id, MIN(id) FROM service_points WHERE kind = 'directorate' "
        "GROUP BY region_id"
    )
    op.execute(
        "INSERT INTO organisation_regions (organisation_id, region_id) "
        "SELECT id, region_id FROM organisations WHERE region_id IS NOT NULL"
    )
    organisations = sa.table('organisations', sa.column('id', sa.Integer),
                             sa.column('code', sa.String), sa.column('kind', sa.String),
                             sa.column('regionalisation', sa.Boolean))
    for code, kind in KINDS.items():
        op.execute(organisations.update().where(organisations.c.code == code)
                   .values(kind=kind))
    op.execute(organisations.update().where(organisations.c.kind == 'other')
               .values(kind='community'))
    op.execute(organisations.update().where(organisations.c.code.in_(REGIONALISATION))
               .values(regionalisation=True))
    for code, region in MORE_REGIONS.items():
        op.execute(sa.text(
            "INSERT INTO organisation_regions (organisation_id, region_id) "
            "SELECT o.id, r.id FROM organisations o, regions r "
            "WHERE o.code = :code AND r.code = :region AND NOT EXISTS ("
            "SELECT 1 FROM organisation_regions x WHERE x.organisation_id = o.id "
            "AND x.region_id = r.id)"
        ).bindparams(code=code, region=region))
    domains = sa.table('domains', sa.column('code', sa.String),
                       sa.column('organisation_kinds', sa.JSON))
    for code, kinds in DOMAIN_KINDS.items():
        op.execute(domains.update().where(domains.c.code == code)
                   .values(organisation_kinds=kinds))

    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_organisations_region_id'))
        batch_op.drop_constraint(batch_op.f('fk_organisations_region_id_regions'),
                                 type_='foreignkey')
        batch_op.drop_column('region_id')


def downgrade():
    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('region_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_organisations_region_id_regions'),
                                    'regions', ['region_id'], ['id'])
        batch_op.create_index(batch_op.f('ix_organisations_region_id'), ['region_id'],
                              unique=False)
    # An organisation keeps one of its regions (the first by code) when it served several.
    op.execute(
        "UPDATE organisations SET region_id = (SELECT x.region_id FROM organisation_regions x "
        "JOIN regions r ON r.id = x.region_id WHERE x.organisation_id = organisations.id "
        "ORDER BY r.code LIMIT 1)"
    )
    op.execute("UPDATE organisations SET kind = 'other' WHERE kind NOT IN "
               "('pasi_partner', 'government')")
    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.drop_column('regionalisation')
    with op.batch_alter_table('domains', schema=None) as batch_op:
        batch_op.drop_column('organisation_kinds')
    op.drop_table('organisation_regions')
    with op.batch_alter_table('directorate_regions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_directorate_regions_directorate_id'))
    op.drop_table('directorate_regions')
    for table in PILOT_TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('interpretation_pilot')
    op.drop_table('referral_approval_rules')
    op.execute("UPDATE occupations SET priority = 100 WHERE priority IS NULL")
    with op.batch_alter_table('occupations', schema=None) as batch_op:
        batch_op.alter_column('priority', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column('version')
        batch_op.drop_column('cnp_2021')
        batch_op.drop_column('cnp_version')
    with op.batch_alter_table('plan_actions', schema=None) as batch_op:
        batch_op.drop_column('consent_purpose')
    with op.batch_alter_table('airport_receptions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_airport_receptions_welcomed_by_id'))
        batch_op.drop_index(batch_op.f('ix_airport_receptions_welcomed_at'))
    op.drop_table('airport_receptions')
