from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True
    dependencies = []
    operations = [
        migrations.CreateModel(
            name="Event",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False)),
                ("owner", models.CharField(db_index=True, max_length=100)),
                ("title", models.CharField(max_length=200)),
            ],
        ),
    ]
