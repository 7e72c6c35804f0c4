from django.db import migrations, models
import django.db.models.deletion
import enumfields.fields
import jsonfield.fields
import shuup_mailchimp.enums


class Migration(migrations.Migration):

    dependencies = [
        ('shuup', '0098_change_productmedia_verbose_text'),
        ('shuup_mailchimp', '0002_claims_and_error_kind'),
    ]

    operations = [
        migrations.CreateModel(
            name='MailchimpFullSync',
            fields=[
                ('id', models.AutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('status', enumfields.fields.EnumField(default='queued', enum=shuup_mailchimp.enums.FullSyncStatus, max_length=16, verbose_name='status')),
                ('active_shop', models.PositiveIntegerField(blank=True, editable=False, null=True, unique=True)),
                ('runner_token', models.CharField(blank=True, editable=False, max_length=32)),
                ('heartbeat_at', models.DateTimeField(blank=True, editable=False, null=True)),
                ('phase', models.CharField(default='queued', max_length=16, verbose_name='phase')),
                ('requested_by', models.CharField(blank=True, max_length=128, verbose_name='requested by')),
                ('since', models.DateTimeField(blank=True, null=True, verbose_name='orders since')),
                ('cursors', jsonfield.fields.JSONField(blank=True, default=dict, editable=False)),
                ('counts', jsonfield.fields.JSONField(blank=True, default=dict, editable=False)),
                ('failures', jsonfield.fields.JSONField(blank=True, default=list, editable=False)),
                ('requests', models.PositiveIntegerField(default=0, editable=False)),
                ('store_flagged', models.BooleanField(default=False, editable=False)),
                ('error', models.TextField(blank=True, verbose_name='error')),
                ('created_on', models.DateTimeField(auto_now_add=True, verbose_name='created on')),
                ('started_on', models.DateTimeField(blank=True, null=True, verbose_name='started on')),
                ('finished_on', models.DateTimeField(blank=True, null=True, verbose_name='finished on')),
                ('elapsed', models.FloatField(default=0.0, editable=False)),
                ('shop', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='shuup.Shop', verbose_name='shop')),
            ],
            options={
                'verbose_name': 'Mailchimp full sync',
                'verbose_name_plural': 'Mailchimp full syncs',
                'ordering': ('-pk',),
            },
        ),
        migrations.CreateModel(
            name='MailchimpSyncBatch',
            fields=[
                ('id', models.AutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', enumfields.fields.EnumField(enum=shuup_mailchimp.enums.SyncKind, max_length=16, verbose_name='kind')),
                ('status', enumfields.fields.EnumField(default='building', enum=shuup_mailchimp.enums.BatchStatus, max_length=16, verbose_name='status')),
                ('claim_token', models.CharField(editable=False, max_length=32)),
                ('remote_id', models.CharField(blank=True, max_length=64, verbose_name='Mailchimp batch id')),
                ('operations', models.PositiveIntegerField(default=0, verbose_name='operations')),
                ('errored', models.PositiveIntegerField(default=0, verbose_name='errored operations')),
                ('meta', jsonfield.fields.JSONField(blank=True, default=dict, editable=False)),
                ('cursor', models.PositiveIntegerField(blank=True, editable=False, null=True)),
                ('note', models.CharField(blank=True, max_length=255, verbose_name='note')),
                ('created_on', models.DateTimeField(auto_now_add=True)),
                ('submitted_on', models.DateTimeField(blank=True, null=True)),
                ('finished_on', models.DateTimeField(blank=True, null=True)),
                ('run', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='batches', to='shuup_mailchimp.MailchimpFullSync')),
            ],
            options={
                'verbose_name': 'Mailchimp batch',
                'verbose_name_plural': 'Mailchimp batches',
                'index_together': {('run', 'status')},
            },
        ),
    ]
