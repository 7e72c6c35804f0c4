# Campaigns and segments: contact groups kept as tags, their members in Mailchimp, imported
# campaigns with their reports, and the campaign an order came from.

from django.db import migrations, models
import django.db.models.deletion


class Migration(migrations.Migration):

    dependencies = [
        ('shuup', '0098_change_productmedia_verbose_text'),
        ('shuup_mailchimp', '0003_webhook_events'),
    ]

    operations = [
        migrations.CreateModel(
            name='MailchimpCampaign',
            fields=[
                ('id', models.AutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('campaign_id', models.CharField(max_length=50, verbose_name='Mailchimp campaign id')),
                ('web_id', models.BigIntegerField(blank=True, editable=False, null=True)),
                ('list_id', models.CharField(blank=True, max_length=32, verbose_name='audience id')),
                ('title', models.CharField(blank=True, max_length=255, verbose_name='title')),
                ('subject', models.CharField(blank=True, max_length=255, verbose_name='subject line')),
                ('type', models.CharField(blank=True, max_length=32, verbose_name='type')),
                ('status', models.CharField(blank=True, db_index=True, max_length=32, verbose_name='status')),
                ('send_time', models.DateTimeField(blank=True, db_index=True, null=True, verbose_name='sent')),
                ('emails_sent', models.PositiveIntegerField(default=0, verbose_name='emails sent')),
                ('opens', models.PositiveIntegerField(default=0, verbose_name='opens')),
                ('unique_opens', models.PositiveIntegerField(default=0, verbose_name='unique opens')),
                ('open_rate', models.FloatField(default=0, verbose_name='open rate')),
                ('clicks', models.PositiveIntegerField(default=0, verbose_name='clicks')),
                ('unique_clicks', models.PositiveIntegerField(default=0, verbose_name='unique clicks')),
                ('click_rate', models.FloatField(default=0, verbose_name='click rate')),
                ('unsubscribes', models.PositiveIntegerField(default=0, verbose_name='unsubscribes')),
                ('hard_bounces', models.PositiveIntegerField(default=0, verbose_name='hard bounces')),
                ('soft_bounces', models.PositiveIntegerField(default=0, verbose_name='soft bounces')),
                ('abuse_reports', models.PositiveIntegerField(default=0, verbose_name='abuse reports')),
                ('orders', models.PositiveIntegerField(default=0, verbose_name='orders (Mailchimp)')),
                ('revenue', models.DecimalField(decimal_places=2, default=0, max_digits=14,
                                                verbose_name='revenue (Mailchimp)')),
                ('total_spent', models.DecimalField(decimal_places=2, default=0, max_digits=14,
                                                    verbose_name='order totals (Mailchimp)')),
                ('currency', models.CharField(blank=True, max_length=3, verbose_name='currency')),
                ('report_fetched_on', models.DateTimeField(blank=True, null=True, verbose_name='report read')),
                ('report_final', models.BooleanField(default=False, verbose_name='report final')),
                ('imported_on', models.DateTimeField(auto_now_add=True)),
                ('modified_on', models.DateTimeField(auto_now=True)),
                ('shop', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+',
                                           to='shuup.Shop', verbose_name='shop')),
            ],
            options={
                'verbose_name': 'Mailchimp campaign',
                'verbose_name_plural': 'Mailchimp campaigns',
                'ordering': ('-send_time', '-pk'),
                'unique_together': {('shop', 'campaign_id')},
            },
        ),
        migrations.CreateModel(
            name='MailchimpSegmentMember',
            fields=[
                ('id', models.AutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('group_id', models.PositiveIntegerField(verbose_name='contact group id')),
                ('contact_id', models.PositiveIntegerField(verbose_name='contact id')),
                ('subscriber_hash', models.CharField(max_length=32, verbose_name='member id')),
                ('added_on', models.DateTimeField(auto_now_add=True)),
                ('shop', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+',
                                           to='shuup.Shop', verbose_name='shop')),
            ],
            options={
                'verbose_name': 'contact in a Mailchimp tag',
                'verbose_name_plural': 'contacts in Mailchimp tags',
                'unique_together': {('shop', 'group_id', 'contact_id')},
            },
        ),
        migrations.CreateModel(
            name='MailchimpTaggedGroup',
            fields=[
                ('id', models.AutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('chosen_on', models.DateTimeField(auto_now_add=True, verbose_name='chosen on')),
                ('group', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+',
                                            to='shuup.ContactGroup', verbose_name='contact group')),
                ('shop', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+',
                                           to='shuup.Shop', verbose_name='shop')),
            ],
            options={
                'verbose_name': 'contact group kept as a Mailchimp tag',
                'verbose_name_plural': 'contact groups kept as Mailchimp tags',
                'unique_together': {('shop', 'group')},
            },
        ),
        migrations.CreateModel(
            name='MailchimpOrderAttribution',
            fields=[
                ('order', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True,
                                               related_name='mailchimp_attribution', serialize=False,
                                               to='shuup.Order', verbose_name='order')),
                ('campaign_id', models.CharField(db_index=True, max_length=50,
                                                 verbose_name='Mailchimp campaign id (mc_cid)')),
                ('email_id', models.CharField(blank=True, max_length=50, verbose_name='Mailchimp member (mc_eid)')),
                ('landing_site', models.CharField(blank=True, max_length=1000, verbose_name='landing page')),
                ('visited_on', models.DateTimeField(blank=True, null=True, verbose_name='visit')),
                ('created_on', models.DateTimeField(auto_now_add=True)),
                ('shop', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+',
                                           to='shuup.Shop', verbose_name='shop')),
            ],
            options={
                'verbose_name': 'Mailchimp campaign of an order',
                'verbose_name_plural': 'Mailchimp campaigns of orders',
            },
        ),
    ]
