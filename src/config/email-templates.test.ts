import { describe, expect, it } from 'vitest';
import { EMAIL_TEMPLATES, emailTemplateFor } from './email-templates.js';

describe('email templates (apprise/plugins/email/templates.py)', () => {
  it.each([
    ['me@gmail.com', 'Google Mail', 'smtp.gmail.com', 587, 'starttls'],
    ['me@hotmail.com', 'Microsoft Hotmail', 'smtp-mail.outlook.com', 587, 'starttls'],
    ['me@live.com.au', 'Microsoft Hotmail', 'smtp-mail.outlook.com', 587, 'starttls'],
    ['me@outlook.com', 'Microsoft Outlook', 'smtp.outlook.com', 587, 'starttls'],
    ['me@office365.com', 'Microsoft Office 365', 'smtp.office365.com', 587, 'starttls'],
    ['me@yahoo.ca', 'Yahoo Mail', 'smtp.mail.yahoo.com', 465, 'ssl'],
    ['me@gmx.fr', 'GMX Mail', 'mail.gmx.com', 587, 'starttls'],
    ['me@fastmail.fm', 'Fast Mail', 'smtp.fastmail.com', 465, 'ssl'],
    ['me@airpost.net', 'Fast Mail Extended Addresses', 'smtp.fastmail.com', 465, 'ssl'],
    ['me@zohomail.com', 'Zoho Mail', 'smtp.zoho.com', 587, 'starttls'],
    ['apikey@sendgrid.com', 'SendGrid', 'smtp.sendgrid.net', 465, 'ssl'],
    ['me@163.com', '163.com', 'smtp.163.com', 465, 'ssl'],
    ['me@qq.com', 'Foxmail.com', 'smtp.qq.com', 587, 'starttls'],
    ['me@comcast.net', 'Comcast.net', 'smtp.comcast.net', 465, 'ssl'],
    ['me@yandex.fr', 'Yandex', 'smtp.yandex.ru', 465, 'ssl'],
  ])('%s → %s', (address, provider, smtpHost, port, mode) => {
    expect(emailTemplateFor(address)?.template).toMatchObject({ provider, smtpHost, port, mode });
  });

  it('labels (tag+me@) give the id after the +; unknown domains and bare hosts have no template; localhost does', () => {
    expect(emailTemplateFor('tag+me@gmail.com')).toMatchObject({ id: 'me' });
    expect(emailTemplateFor('me@example.com')).toBeUndefined();
    expect(emailTemplateFor('gmail.com')).toBeUndefined();
    expect(emailTemplateFor('localhost')?.template).toMatchObject({ provider: 'Local Mail Server', fromUser: 'root' });
    expect(EMAIL_TEMPLATES).toHaveLength(15);
  });
});
